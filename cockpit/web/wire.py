"""The callback wire format: request bodies of `POST /_dash-update-component`, built from a
callback's named dependencies (the same NamedTuples the app is wired with), so tests, the
benchmark and any client speak exactly what the Dash renderer sends."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, NamedTuple

from dash import Output, State
from dash.dependencies import DashDependency, Wildcard

UPDATE_PATH = "/_dash-update-component"


def id_str(component_id: Any) -> str:
    """A component id as Dash writes it in callback keys and responses (dict ids: JSON, sorted keys)."""
    if isinstance(component_id, dict):
        parts = []
        for k in sorted(component_id):
            v = component_id[k]
            parts.append(f"{json.dumps(k)}:{v.to_json() if hasattr(v, 'to_json') else json.dumps(v)}")
        return "{" + ",".join(parts) + "}"
    return component_id


def callback_key(outputs: Output | Iterable[Output]) -> str:
    """The `output` field naming a callback: 'id.prop' for one output, '..a.p...b.q..' for several."""
    def one(o: Output) -> str:
        return id_str(o.component_id).replace(".", "\\.") + "." + o.component_property

    if isinstance(outputs, Output):
        return one(outputs)
    return ".." + "...".join(one(o) for o in outputs) + ".."


def _wildcards(dep: DashDependency) -> set[str]:
    cid = dep.component_id
    return {str(v) for v in cid.values() if isinstance(v, Wildcard)} if isinstance(cid, dict) else set()


def _concrete(dep: DashDependency, match: Mapping[str, Any]) -> Any:
    """The dependency's id with every MATCH replaced by `match`'s value for that key."""
    cid = dep.component_id
    if not isinstance(cid, dict):
        return cid
    return {k: (match[k] if isinstance(v, Wildcard) else v) for k, v in cid.items()}


def request_body(outputs: Output | NamedTuple, inputs: NamedTuple, values: Mapping[str, Any],
                 match: Mapping[str, Any] | None = None, changed: Iterable[str] = (),
                 output_ids: Mapping[str, list] | None = None) -> dict:
    """The body the renderer posts for one call of the callback wired with (`outputs`, `inputs`).

    `values` holds each input's value by field name; for an ALL dependency it is a list of
    (concrete id, value) pairs (default: none). `match` gives the MATCH keys' values (e.g.
    {"panel": "map_requests"}); `output_ids` the concrete ids of ALL outputs (default: none);
    `changed` the input fields that fired (for an ALL input: each of its concrete ids)."""
    match = match or {}
    output_ids = output_ids or {}

    def output(name: str, dep: Output) -> Any:
        if "ALL" in _wildcards(dep):
            return [{"id": i, "property": dep.component_property} for i in output_ids.get(name, [])]
        return {"id": _concrete(dep, match), "property": dep.component_property}

    def argument(name: str, dep: DashDependency) -> Any:
        if "ALL" in _wildcards(dep):
            return [{"id": i, "property": dep.component_property, "value": v} for i, v in values.get(name, [])]
        return {"id": _concrete(dep, match), "property": dep.component_property, "value": values.get(name)}

    def fired(name: str, dep: DashDependency) -> list[str]:
        ids = ([i for i, _ in values.get(name, [])] if "ALL" in _wildcards(dep) else [_concrete(dep, match)])
        return [f"{id_str(i)}.{dep.component_property}" for i in ids]

    named = list(zip(inputs._fields, inputs))
    return {
        "output": callback_key(outputs),
        "outputs": (output("", outputs) if isinstance(outputs, Output)
                    else [output(n, d) for n, d in zip(outputs._fields, outputs)]),
        "inputs": [argument(n, d) for n, d in named if not isinstance(d, State)],
        "state": [argument(n, d) for n, d in named if isinstance(d, State)],
        "changedPropIds": [c for n, d in named if n in set(changed) for c in fired(n, d)],
    }


def response_value(payload: dict, component_id: Any, prop: str) -> Any:
    """One output's value in a dispatcher response (`resp.get_json()`)."""
    return payload["response"][id_str(component_id)][prop]


def batch_request(output: str, panels: Iterable[str], search: Any, keys: Mapping[str, Any] | None = None,
                  pathname: Any = "/", pin: str | None = None) -> dict:
    """The body of the batched panel callback of `output` ("figure" or "component") listing
    `panels` (as when the URL's search changed); `keys` holds what each panel's key store has."""
    from cockpit.web.wiring import BODY_IN, BODY_OUT, GRAPH_IN, GRAPH_OUT

    outputs, inputs = (GRAPH_OUT, GRAPH_IN) if output == "figure" else (BODY_OUT, BODY_IN)
    kind, store = ("graph", "figkey") if output == "figure" else ("body", "bodykey")
    panels, keys = list(panels), keys or {}
    values = {"search": search, "ids": [({"type": kind, "panel": p}, {"type": kind, "panel": p}) for p in panels],
              "keys": [({"type": store, "panel": p}, keys.get(p)) for p in panels], "pathname": pathname,
              "pins": [({"type": "pin", "i": 0}, pin)] if pin else []}
    output_ids = {name: [_concrete(dep, {"panel": p}) for p in panels] for name, dep in zip(outputs._fields, outputs)}
    return request_body(outputs, inputs, values, changed=["search"], output_ids=output_ids)


def graph_request(panel: str, search: Any, figkey: Any = None, pathname: Any = "/", pin: str | None = None) -> dict:
    """The body of the figure-panel callback listing only `panel`."""
    return batch_request("figure", [panel], search, {panel: figkey}, pathname, pin)


def component_request(panel: str, search: Any, bodykey: Any = None, pathname: Any = "/",
                      pin: str | None = None) -> dict:
    """The body of the component-panel callback listing only `panel`."""
    return batch_request("component", [panel], search, {panel: bodykey}, pathname, pin)


def panel_value(payload: dict, panel: str, output: str = "figure") -> Any:
    """One panel's figure (or body) in a batched answer, None when it was not sent."""
    cid = {"type": "graph" if output == "figure" else "body", "panel": panel}
    return payload.get("response", {}).get(id_str(cid), {}).get("figure" if output == "figure" else "children")


def post(client, body: dict):
    """POST a body to a Flask test client's dispatcher."""
    return client.post(UPDATE_PATH, data=json.dumps(body), content_type="application/json")
