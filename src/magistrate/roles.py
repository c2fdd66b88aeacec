"""Which constitutional role a principal acts in: bound by configuration, never chosen by the
action.

An action's `role` field is the agent's own claim, so it can only narrow what the principal
may do: the limits of the bound role and of the claimed one both apply. The role that binds
comes from the operator: `principal_roles` maps principal names or shell patterns
(`agent:etl-*`) to roles of the constitution, and `default_role` covers principals no entry
names. Once any binding is configured, a principal nobody named gets `default_role`, or else
the constitution's least-privileged role: forgetting to register an agent fails closed. With
no binding at all, roles are not in use and only a claimed role restricts (as before).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from magistrate.constitution.model import Role

MAX_CACHED = 10_000


class RoleBinding:
    """Resolves the role that binds a principal, and checks a claimed role against it."""

    def __init__(
        self,
        roles: Mapping[str, Role],
        principal_roles: Mapping[str, str] | None = None,
        default_role: str | None = None,
    ) -> None:
        self.roles = dict(roles)
        assigned = dict(principal_roles or {})
        for pattern, role in [*assigned.items(), ("default_role", default_role or "")]:
            if role and role not in self.roles:
                known = ", ".join(sorted(self.roles)) or "none"
                raise ValueError(
                    f"role {role!r} for {pattern!r} is not a role of the constitution "
                    f"(known: {known})"
                )
        self._exact = {p: r for p, r in assigned.items() if not _is_pattern(p)}
        self._patterns = [(p, r) for p, r in assigned.items() if _is_pattern(p)]
        self.in_use = bool(assigned) or default_role is not None
        self.default_role = default_role or (least_privileged(self.roles) if assigned else None)
        self._cache: dict[str, str | None] = {}

    def bound(self, principal: str) -> str | None:
        """The role the operator bound this principal to (exact name, then the first matching
        pattern, then the default); None when roles are not in use."""
        if not self.in_use:
            return None
        cached = self._cache.get(principal, "")
        if cached != "":
            return cached
        role = self._exact.get(principal)
        if role is None:
            role = next(
                (r for p, r in self._patterns if fnmatch.fnmatchcase(principal, p)),
                self.default_role,
            )
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[principal] = role
        return role

    def effective(self, principal: str, claimed: str | None) -> tuple[list[str], str | None]:
        """(the roles whose limits all apply: the bound one and a claimed one, so a claim can
        narrow and never widen; a problem that denies, such as an unknown claimed role)."""
        bound = self.bound(principal)
        applied = [bound] if bound is not None else []
        if claimed is None or claimed == bound:
            return applied, None
        if claimed not in self.roles:
            known = ", ".join(sorted(self.roles)) or "none"
            return applied, f"unknown role {claimed!r} (known: {known})"
        return [*applied, claimed], None


def least_privileged(roles: Mapping[str, Role]) -> str | None:
    """The constitution's narrowest role: lowest maximum risk, then fewest kinds, then limited
    tools, then name."""
    if not roles:
        return None
    return min(
        roles,
        key=lambda n: (
            roles[n].max_risk.rank,
            len(roles[n].kinds),
            roles[n].tools == ["*"],
            n,
        ),
    )


def _is_pattern(name: str) -> bool:
    return any(c in name for c in "*?[")
