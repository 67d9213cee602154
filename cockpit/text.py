"""Text in both languages: the one model every layer (visual options, declarations, labels) uses.

Lowest level of the package: it imports nothing of the cockpit, so visual kinds and specs can
both use it without importing each other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Text(BaseModel):
    """A label in both languages; Chinese is required, English falls back to Chinese."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str | None = None

    def get(self, lang: str) -> str:
        return (self.en or self.zh) if lang == "en" else self.zh
