"""Every relation of every entity, including the reverse sides declared with ``inverse``."""

from __future__ import annotations

from dataclasses import dataclass

from backend_agent.blueprint.entity import Relation, RelationKind
from backend_agent.blueprint.schema import Blueprint

_REVERSE = {
    RelationKind.MANY_TO_ONE: RelationKind.ONE_TO_MANY,
    RelationKind.ONE_TO_ONE: RelationKind.ONE_TO_ONE,
    RelationKind.MANY_TO_MANY: RelationKind.MANY_TO_MANY,
    RelationKind.ONE_TO_MANY: RelationKind.MANY_TO_ONE,
}


@dataclass(frozen=True)
class ResolvedRelation:
    """One side of a relation as seen from ``entity``.

    ``owner_entity``/``owner_name`` name the declaration that owns the storage: the many_to_one
    (or one_to_one) holding the foreign key, or the many_to_many holding the join table.
    """

    entity: str
    name: str
    kind: RelationKind
    target: str
    owner_entity: str
    owner_name: str
    declared: bool  # False for sides created by `inverse`

    @property
    def to_many(self) -> bool:
        return self.kind in (RelationKind.ONE_TO_MANY, RelationKind.MANY_TO_MANY)

    @property
    def is_owner(self) -> bool:
        return self.entity == self.owner_entity and self.name == self.owner_name


def _storage_owner(entity: str, name: str, rel: Relation) -> tuple[str, str]:
    if rel.kind is RelationKind.ONE_TO_MANY:
        return rel.target, rel.via or ""
    return entity, name


def resolve_relations(bp: Blueprint) -> dict[str, dict[str, ResolvedRelation]]:
    """All relations per entity; reverse sides from ``inverse`` are added to the target."""
    result: dict[str, dict[str, ResolvedRelation]] = {name: {} for name in bp.entities}
    for ename, entity in bp.entities.items():
        for rname, rel in entity.relations.items():
            owner = _storage_owner(ename, rname, rel)
            result[ename][rname] = ResolvedRelation(ename, rname, rel.kind, rel.target, *owner, declared=True)
    for ename, entity in bp.entities.items():
        for rname, rel in entity.relations.items():
            if not rel.inverse or rel.target not in result or rel.inverse in result[rel.target]:
                continue
            owner = _storage_owner(ename, rname, rel)
            result[rel.target][rel.inverse] = ResolvedRelation(
                rel.target, rel.inverse, _REVERSE[rel.kind], ename, *owner, declared=False
            )
    return result


__all__ = ["ResolvedRelation", "resolve_relations"]
