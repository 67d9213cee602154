"""Logins for leaders and analysts: who is viewing, and the jurisdiction every query is bound to.

On by default. Only `COCKPIT_AUTH=off` (the local demo of `make run`, and tests) lets anyone in,
and the screen then says so. With logins on, every route but the login page, static files and
the display walls (which carry their own tokens) needs a session; a callback without one gets 401.
Sessions are Flask-Login's, signed with a key kept in the accounts database, in HttpOnly,
SameSite=Lax, Secure cookies that expire; failed logins are throttled per address
(Flask-Limiter) and per account (in the database, shared by every worker)."""

from __future__ import annotations

import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, g, redirect, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from cockpit.access import users
from cockpit.settings import Settings

#: Paths served without a session: the login page, static code and styles, and display walls
#: (each wall request verifies its own token).
PUBLIC_PREFIXES = ("/login", "/logout", "/wall/", "/wall-static/", "/assets/", "/_dash-component-suites/",
                   "/static-bundles/", "/favicon.ico")
#: Dash's data routes: answered 401 without a session (a page route redirects to the login).
DATA_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/_reload-hash")


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their name, role and region (the jurisdiction)."""

    name: str
    role: str
    region: str | None  # None only with logins off: the deployment's COCKPIT_JURISDICTION or the top
    authenticated: bool

    @property
    def sees_sql(self) -> bool:
        """Analysts and admins see SQL, snapshot ids and engine messages; leaders do not need them."""
        return self.role in ("analyst", "admin")


class _SessionUser(UserMixin):
    def __init__(self, user: users.User):
        self.user = user

    def get_id(self) -> str:
        # The epoch ends every older session when the password changes or the account is disabled.
        return f"{self.user.name}:{self.user.session_epoch}"


def current_viewer(settings: Settings) -> Viewer | None:
    """The viewer of this request, or None when nobody is signed in (logins on)."""
    if settings.auth == "off":
        return Viewer("demo", "admin", settings.jurisdiction, authenticated=False)
    try:
        if current_user.is_authenticated:
            u = current_user.user
            return Viewer(u.name, u.role, u.region, authenticated=True)
    except (AttributeError, RuntimeError):  # outside a request (CLI, tests calling bodies directly)
        return None
    return None


def _safe_next(target: str | None) -> str:
    """A local path to go back to after the login; anything else (another host, //evil) is '/'."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def init_auth(server: Flask, settings: Settings) -> None:
    """Install logins on the app's Flask server (a no-op but for the viewer with logins off)."""
    if settings.auth == "off":
        return
    db = settings.accounts_db
    server.secret_key = settings.secret_key or users.secret_key(db)
    server.config.update(
        SESSION_COOKIE_NAME="cockpit_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE=settings.cookie_samesite,
        SESSION_COOKIE_SECURE=settings.cookie_secure, REMEMBER_COOKIE_DURATION=timedelta(0),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours))
    manager = LoginManager(server)
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str):
        name, _, epoch = user_id.rpartition(":")
        user = users.get(db, name)
        if user is None or not user.active or str(user.session_epoch) != epoch:
            return None
        return _SessionUser(user)

    # A shared Redis counts failed logins across replicas; while it is away, each process counts alone.
    limiter = Limiter(get_remote_address, app=server, default_limits=[],
                      storage_uri=settings.redis_url if settings.redis_url else "memory://",
                      in_memory_fallback_enabled=bool(settings.redis_url), swallow_errors=True)

    @server.before_request
    def _require_login():
        path = request.path
        if any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES):
            return None
        if current_user.is_authenticated:
            g.viewer_name = current_user.user.name
            return None
        if any(path.startswith(p) for p in DATA_PREFIXES) or request.method != "GET":
            return Response('{"error": "login required"}', status=401, mimetype="application/json")
        return redirect("/login?next=" + _quote_next(request.full_path.rstrip("?")))

    def _form(lang: str, message: str = "", status: int = 200) -> Response:
        token = session.setdefault("csrf", secrets.token_urlsafe(24))
        return Response(login_page(lang, token, message, no_accounts=users.count(db) == 0,
                                   next_path=_safe_next(request.values.get("next"))), status=status,
                        mimetype="text/html", headers={"Cache-Control": "no-store"})

    @server.get("/login")
    def login_form():
        return _form(_lang())

    @server.post("/login")
    @limiter.limit(settings.login_rate, deduct_when=lambda response: response.status_code != 302)
    def login_submit():
        lang = _lang()
        sent = request.form.get("csrf", "")
        if not hmac.compare_digest(str(session.get("csrf", "")), sent):
            return _form(lang, STRINGS[lang]["expired"], 400)
        name = request.form.get("name", "")
        user = users.authenticate(db, name, request.form.get("password", ""))
        ip = request.remote_addr or ""
        if user is None:
            users.audit(db, name[:64] or "?", "login_failed", "", ip)
            return _form(lang, STRINGS[lang]["failed"], 401)
        session.clear()  # a fresh session: nothing from before the login carries over
        session.permanent = True
        login_user(_SessionUser(user))
        users.audit(db, user.name, "login", f"{user.role} {user.region}", ip)
        return redirect(_safe_next(request.form.get("next")))

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        if current_user.is_authenticated:
            users.audit(db, current_user.user.name, "logout", "", request.remote_addr or "")
        logout_user()
        session.clear()
        return redirect("/login")

    @server.errorhandler(429)
    def _too_many(_exc):
        return _form(_lang(), STRINGS[_lang()]["throttled"], 429)


def _quote_next(path: str) -> str:
    from urllib.parse import quote
    return quote(path, safe="/?=&")


def _lang() -> str:
    return "en" if request.values.get("lang") == "en" else "zh"


STRINGS = {
    "zh": {"title": "登录 · 治理驾驶舱", "heading": "治理驾驶舱", "name": "用户名", "password": "密码",
           "submit": "登录", "failed": "用户名或密码不正确，或尝试次数过多，请稍后再试。",
           "throttled": "尝试次数过多，请稍后再试。", "expired": "页面已过期，请重新登录。",
           "no_accounts": "尚未创建任何账户。管理员请在服务器上运行：",
           "switch": "English", "note": "仅限授权人员使用；登录与访问均有审计记录。"},
    "en": {"title": "Sign in · Governance Cockpit", "heading": "Governance Cockpit", "name": "User name",
           "password": "Password", "submit": "Sign in",
           "failed": "Wrong user name or password, or too many attempts; try again later.",
           "throttled": "Too many attempts; try again later.", "expired": "The page expired; please sign in again.",
           "no_accounts": "No account exists yet. An administrator creates the first one on the server:",
           "switch": "中文", "note": "For authorised staff only; sign-ins and views are audited."},
}


def login_page(lang: str, csrf: str, message: str, no_accounts: bool, next_path: str) -> str:
    """The login form (plain HTML: it must work before any script loads)."""
    s = STRINGS[lang]
    e = html.escape
    other = "zh" if lang == "en" else "en"
    setup = (f'<div class="login-setup"><p>{e(s["no_accounts"])}</p><pre>cockpit users add admin --role admin '
             f'--region REGION_CODE</pre></div>' if no_accounts else "")
    msg = f'<p class="login-error" role="alert">{e(message)}</p>' if message else ""
    return f"""<!DOCTYPE html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(s['title'])}</title>
<link rel="stylesheet" href="/assets/cockpit.css"></head><body class="login-body">
<main class="login-card"><h1>{e(s['heading'])}</h1>{setup}{msg}
<form method="post" action="/login?lang={lang}" autocomplete="on">
<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="next" value="{e(next_path)}">
<label>{e(s['name'])}<input name="name" autocomplete="username" required maxlength="64" autofocus></label>
<label>{e(s['password'])}<input name="password" type="password" autocomplete="current-password" required
maxlength="1024"></label><button type="submit">{e(s['submit'])}</button></form>
<p class="login-note">{e(s['note'])}</p>
<a class="login-lang" href="/login?lang={other}&amp;next={e(_quote_next(next_path))}">{e(s['switch'])}</a>
</main></body></html>"""
