"""What every response carries, and what a callback request must look like.

Every request is untrusted. Two guards, installed on the app's Flask server by `install`:

- `callback_problem`: a body POSTed to the Dash dispatcher must have the shape the renderer sends
  for a registered callback (a JSON object naming a known callback, its outputs, inputs and state
  with ids and properties of that callback's declaration, bounded nesting). Anything else gets a
  400 before Dash reads it, instead of an exception deep in Dash (a 500 and a traceback in the log).
- `headers`: the security headers of every response, pages, callbacks, assets and walls alike: a
  Content-Security-Policy allowing scripts from this server only (plus the hashes of the inline
  scripts Dash writes into its index page), styles inline too (plotly and React set them),
  images as data:/blob: URLs too (PNG export), and `frame-ancestors` from the settings (embedding
  in 浙政钉); Permissions-Policy with every powerful feature off; no referrer to other sites;
  nosniff; a page of its own browsing context group (COOP); no cross-site use of its resources.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from dash import Dash
from dash.dependencies import DashDependency
from dash.exceptions import CallbackException
from flask import Response, request

from cockpit.settings import Settings
from cockpit.web.wire import UPDATE_PATH

log = logging.getLogger("cockpit.web")

#: Deepest nesting a callback body may have: the renderer's deepest (a click on a graph, with its
#: points and their bounding boxes) is well under ten.
MAX_DEPTH = 32
#: A frame-ancestors source: a keyword, a scheme, or a host with optional scheme, port and path.
_SOURCE = re.compile(r"^('self'|'none'|[a-z][a-z0-9+.\-]*:|([a-z][a-z0-9+.\-]*://)?(\*\.)?[a-z0-9\-.]+"
                     r"(:(\d{1,5}|\*))?(/[^\s;,']*)?)$", re.I)
#: Powerful features no page of the cockpit uses.
_FEATURES_OFF = ("accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "geolocation",
                 "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
                 "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking")
_SCALAR = (str, int, float, bool)


def frame_ancestors(value: str) -> str:
    """The `frame-ancestors` sources of a setting (space-separated), checked: a value that is not
    a list of sources would break the policy or smuggle directives into it."""
    sources = value.split()
    bad = [s for s in sources if not _SOURCE.match(s)]
    if not sources or bad:
        raise ValueError(f"COCKPIT_FRAME_ANCESTORS: not a list of CSP sources: {value!r} "
                         "(e.g. \"'self' https://*.example.gov.cn\")")
    if "'none'" in sources and len(sources) > 1:
        raise ValueError("COCKPIT_FRAME_ANCESTORS: 'none' stands alone")
    return " ".join(sources)


def headers(settings: Settings, script_hashes: list[str]) -> dict[str, str]:
    """The security headers of every response (`script_hashes`: the index page's inline scripts)."""
    ancestors = frame_ancestors(settings.frame_ancestors)
    csp = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    out = {
        "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in csp.items()),
        "Permissions-Policy": ", ".join(f"{f}=()" for f in _FEATURES_OFF),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    # X-Frame-Options for browsers without frame-ancestors; it can only say "this origin" or "no
    # one", so it is left out when the setting allows other sites (it would contradict it).
    legacy = {"'self'": "SAMEORIGIN", "'none'": "DENY"}.get(ancestors)
    if legacy:
        out["X-Frame-Options"] = legacy
    return out


# -- callback requests -------------------------------------------------------------------------

def _declared(dep: Any) -> tuple[Any, str]:
    """(id, property) of a declared dependency: a string id, or a dict whose wildcards are lists."""
    spec = dep.to_dict() if isinstance(dep, DashDependency) else dep
    cid = spec["id"]
    if isinstance(cid, str) and cid.startswith("{"):
        cid = json.loads(cid)
    return cid, spec["property"]


def _many(cid: Any) -> bool:
    """Whether the dependency stands for a list of components (ALL, ALLSMALLER)."""
    return isinstance(cid, dict) and any(v in (["ALL"], ["ALLSMALLER"]) for v in cid.values())


def _id_fits(sent: Any, declared: Any) -> bool:
    if isinstance(declared, str):
        return sent == declared
    if not isinstance(sent, dict) or set(sent) != set(declared):
        return False
    for key, want in declared.items():
        got = sent[key]
        if not isinstance(got, _SCALAR):
            return False
        if not isinstance(want, list) and got != want:  # a wildcard takes any value
            return False
    return True


def _item_problem(item: Any, declared: tuple[Any, str], where: str) -> str | None:
    cid, prop = declared
    items = item if _many(cid) else [item]
    if _many(cid) and not isinstance(item, list):
        return f"{where}: a list of components expected"
    for one in items:
        if not isinstance(one, dict):
            return f"{where}: an object with id and property expected"
        if one.get("property") != prop:
            return f"{where}: property {prop!r} expected"
        if not _id_fits(one.get("id"), cid):
            return f"{where}: the id does not fit the callback"
    return None


def _list_problem(sent: Any, declared: list, where: str) -> str | None:
    if not isinstance(sent, list) or len(sent) != len(declared):
        return f"{where}: a list of {len(declared)} expected"
    for i, (item, dep) in enumerate(zip(sent, declared)):
        problem = _item_problem(item, _declared(dep), f"{where}[{i}]")
        if problem:
            return problem
    return None


def _too_deep(node: Any) -> bool:
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _changed_problem(changed: Any) -> str | None:
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds: a list of strings expected"
    for prop_id in changed:
        cid, dot, prop = prop_id.rpartition(".")
        if not (cid and dot and prop):
            return "changedPropIds: 'id.property' expected"
        if cid.startswith("{"):
            try:
                ok = isinstance(json.loads(cid), dict)
            except ValueError:
                ok = False
            if not ok:
                return "changedPropIds: a dict id must be a JSON object"
    return None


def callback_problem(body: Any, callback_map: dict) -> str | None:
    """Why `body` is not a request for one of the app's callbacks (None: it is one)."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if _too_deep(body):
        return f"the body is nested deeper than {MAX_DEPTH} levels"
    key = body.get("output")
    if not isinstance(key, str) or key not in callback_map:
        return "no such callback"
    cb = callback_map[key]
    declared = cb.get("output")
    if cb.get("no_output"):
        pass  # Dash ignores the outputs of a callback without any
    elif isinstance(declared, (list, tuple)):
        problem = _list_problem(body.get("outputs"), list(declared), "outputs")
        if problem:
            return problem
    elif declared is not None:
        problem = _item_problem(body.get("outputs"), _declared(declared), "outputs")
        if problem:
            return problem
    problem = (_list_problem(body.get("inputs"), cb.get("inputs", []), "inputs")
               or _list_problem(body.get("state", []), cb.get("state", []), "state")
               or _changed_problem(body.get("changedPropIds", [])))
    return problem


def _refuse(reason: str) -> Response:
    return Response(json.dumps({"error": "bad_request", "message": reason}), status=400,
                    mimetype="application/json")


def install(app: Dash, settings: Settings) -> None:
    """Guard the dispatcher and set the security headers on every response of `app`'s server.
    Call it once every callback is registered (the index page's script hashes are taken here)."""
    server = app.server
    dispatcher = app.config.routes_pathname_prefix.rstrip("/") + UPDATE_PATH
    fixed = headers(settings, list(app.csp_hashes()))

    @server.before_request
    def _check_callback_body():
        if request.path != dispatcher or request.method != "POST":
            return None
        if not request.is_json:
            return _refuse("the body must be JSON (Content-Type: application/json)")
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            return _refuse("the body is not valid JSON")
        problem = callback_problem(body, app.callback_map)
        if problem:
            log.info("refused a callback request: %s", problem)
            return _refuse(problem)
        return None

    @server.errorhandler(CallbackException)
    def _callback_mismatch(exc: CallbackException):
        # A well-formed request whose parts disagree with each other (e.g. more components in a
        # state list than in the outputs it names): the answer cannot fit what the request asked.
        log.warning("callback answer does not fit its request: %.300s", exc)
        return _refuse("the callback's answer does not fit the outputs requested")

    @server.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        return response
