"""Names shared by the query layer, the URL state and the declarations.

Low level on purpose (imports nothing of the cockpit): `cockpit.query` binds these fields,
`cockpit.filters` reads them from the URL, and `cockpit.specs` checks declarations against them."""

from __future__ import annotations

#: Columns a cross-filter may constrain. A click on a panel whose options declare one of these
#: fields sets `f_<field>`; every scoped relation having that column honours it.
CROSS_FILTER_FIELDS = ("category", "channel", "handling_level", "runway", "stage", "list", "status")
