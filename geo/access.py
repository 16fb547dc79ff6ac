"""Who is asking: roles, and the viewer every store read takes.

A viewer is a role bound to a unit. The store checks every read against it in
one place (:meth:`geo.store.store.Store.authorize`) and masks what it returns
by the viewer's role, so a forged request gets no more than the UI would show.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.domain import DISTRICT_CODE
from geo.scope import DISTRICT, Scope

#: Roles and their Chinese names, as the README's Security section lists them.
ROLE_LABELS = {
    "district": "区级",
    "street": "街道",
    "community": "社区",
    "screen": "大屏",
    "admin": "管理员",
}
#: The level of unit each data role is bound to (admins read no appeal data).
ROLE_LEVEL = {"district": "district", "street": "street", "community": "community"}
#: Roles whose holders handle appeals and may, on an explicit, audited click, see a reporter's details.
MAY_UNMASK = frozenset({"district", "street", "community"})
#: Decimal places of coordinates shown to roles below district: 3 places are about 100 m.
COARSE_DECIMALS = 3


@dataclass(frozen=True)
class Viewer:
    """A role bound to a unit: what a caller may see, and how masked.

    ``user`` names the caller for the audit log; it never changes what is seen.
    """

    role: str
    scope: Scope = DISTRICT
    user: str = "system"

    @property
    def reads_data(self) -> bool:
        """Admins manage users, keys and the audit log; they read no appeal data."""
        return self.role != "admin"

    @property
    def may_unmask(self) -> bool:
        return self.role in MAY_UNMASK

    @property
    def coarse_coordinates(self) -> bool:
        """Appeal coordinates are rounded to about 100 m below district level."""
        return self.role != "district"

    @property
    def shows_worker_ids(self) -> bool:
        """A wall in a public hall shows nameless dots, with no stable ids to follow."""
        return self.role != "screen"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.role]

    def narrowed(self, scope: Scope) -> Viewer:
        """The same caller, looking only inside ``scope`` (which it must be allowed to see)."""
        return Viewer(self.role, scope, self.user)

    def sees(self, scope: Scope) -> bool:
        return self.reads_data and self.scope.contains(scope)


#: The server's own reads (seeding, the CLI, jobs): the whole district, unmasked coordinates.
SYSTEM = Viewer("district", DISTRICT, "system")
#: The operator at the command line, managing accounts and reading the audit log.
OPERATOR = Viewer("admin", DISTRICT, "cli")


def role_scope(role: str, code: str | None) -> Scope:
    """The unit a data role is bound to; admins and the district are bound to the district."""
    if role not in ROLE_LABELS:
        raise ValueError(f"未知角色 {role!r}，应为 {', '.join(ROLE_LABELS)} 之一")
    level = ROLE_LEVEL.get(role)
    if role == "screen":
        return Scope.from_code(code or DISTRICT_CODE)
    if level in (None, "district"):
        return DISTRICT
    return Scope.parse(level, code)
