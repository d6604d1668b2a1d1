"""The requester as templates see them: name and email from Slack's users.info, kept a while."""

from __future__ import annotations

import time

from slack_sdk.web.async_client import AsyncWebClient

from domain.catalog.template_context import Person

MAX_AGE = 600.0


class People:
    def __init__(self, client: AsyncWebClient, max_age: float = MAX_AGE) -> None:
        self._client = client
        self._max_age = max_age
        self._known: dict[str, tuple[float, Person]] = {}

    async def get(self, user_id: str) -> Person:
        """``user_id``'s name and email (email: None without the users:read.email scope)."""
        known = self._known.get(user_id)
        if known is not None and time.monotonic() - known[0] < self._max_age:
            return known[1]
        response = await self._client.users_info(user=user_id)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or user_id
        person = Person(user_id, str(name), profile.get("email"))
        self._known[user_id] = (time.monotonic(), person)
        return person
