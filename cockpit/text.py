"""Text in both languages: the one model every layer (visual options, declarations, labels) uses.

Lowest level of the package: it imports nothing of the cockpit, so visual kinds and specs can
both use it without importing each other."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Text(BaseModel):
    """A label in both languages; Chinese is required, English falls back to Chinese."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1)
    en: str | None = None

    def get(self, lang: str) -> str:
        return (self.en or self.zh) if lang == "en" else self.zh


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_chinese(value: str) -> bool:
    """Whether `value` holds Chinese characters."""
    return bool(_CJK.search(value))


@lru_cache(maxsize=4096)
def romanized(value: str) -> str:
    """Chinese text in Hanyu Pinyin without tones, for an English screen where the data has no
    English name: the words pypinyin's phrase dictionary finds joined and capitalised ("省发展改革委"
    → "Sheng Fazhan Gai Ge Wei"); full-width punctuation as ASCII; other text unchanged."""
    from pypinyin import lazy_pinyin
    from pypinyin.seg.mmseg import seg

    words = []
    for run in re.split(r"([\u3400-\u9fff\uf900-\ufaff]+)", unicodedata.normalize("NFKC", value)):
        if has_chinese(run):
            words += ["".join(lazy_pinyin(word, v_to_u=True)).capitalize() for word in seg.cut(run)]
        elif run.strip():
            words.append(run.strip())
    text = " ".join(words)
    return re.sub(r"\s+([)\],.;:!?])", r"\1", re.sub(r"([(\[])\s+", r"\1", text))
