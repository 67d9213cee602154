"""Text in both languages, shared by every layer that shows words (declarations, visuals, web)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Text(BaseModel):
    """A label in both languages; Chinese is required, English falls back to Chinese."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str | None = None

    def get(self, lang: str) -> str:
        return (self.en or self.zh) if lang == "en" else self.zh
