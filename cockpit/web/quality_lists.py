"""Case lists of the data-quality page (`/quality`), served by the case routes (`cockpit.web.cases`):
`/cases/quality-<flag>`, the requests a state flag on requests picks out (by the flag's own
condition, so the list's count equals the flag's), and `/cases/quality-requests`, every request in
the viewer's jurisdiction, to look up an example id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cockpit.analytics.quality import FLAGS_BY_NAME
from cockpit.text import Text

#: The start of a data-quality list's id in its URL.
QUALITY_PREFIX = "quality-"


@dataclass(frozen=True)
class QualityList:
    """A case list that is not a panel's: the rows a data-quality flag picks out."""

    route: str
    spec: Any
    options: Any = None


def quality_list(route: str) -> QualityList | None:
    """The case list `/cases/<route>` of the data-quality page, if `route` names one."""
    from cockpit.specs.models import CasesSpec, PanelSpec

    name = route.removeprefix(QUALITY_PREFIX)
    if not route.startswith(QUALITY_PREFIX):
        return None
    if name == "requests":
        title, sql, where = Text(zh="诉求", en="Requests"), "select * from requests_scoped", None
    else:
        flag = FLAGS_BY_NAME.get(name)
        if flag is None or flag.condition is None:
            return None
        title, sql, where = Text(zh=f"数据质量：{flag.zh}", en=f"Data quality: {flag.en}"), flag.sql, flag.condition
    spec = PanelSpec(id="quality_" + name, title=title, kind="", sql=sql,  # no figure, so no kind, no clicks
                     cases=CasesSpec(relation="requests", where=where))
    return QualityList(route, spec)
