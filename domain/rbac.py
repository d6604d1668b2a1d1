"""Who may request what. Role membership comes from the catalog as it is now, so removing
someone from a role takes effect at once, even for requests made before."""

from __future__ import annotations

import difflib

from domain.catalog import Action, Catalog
from domain.errors import NotAuthorized, UnknownAction


def may_request(catalog: Catalog, user_id: str, action: Action) -> bool:
    if action.requesters is None:
        return True
    return any(user_id in catalog.members_of(role) for role in action.requesters)


def requestable_actions(catalog: Catalog, user_id: str) -> list[Action]:
    """The actions ``user_id`` may request, in catalog order."""
    return [action for action in catalog.actions.values() if may_request(catalog, user_id, action)]


def resolve_action(catalog: Catalog, user_id: str, name: str) -> Action:
    """The action called ``name`` if ``user_id`` may request it; otherwise a typed refusal.

    Suggestions only name actions the user may request, so a guess never reveals the rest.
    """
    action = catalog.actions.get(name.strip().lower())
    if action is None:
        allowed = [a.id for a in requestable_actions(catalog, user_id)]
        raise UnknownAction(name, tuple(difflib.get_close_matches(name.lower(), allowed, n=3, cutoff=0.5)))
    if not may_request(catalog, user_id, action):
        raise NotAuthorized("not_a_requester")
    return action
