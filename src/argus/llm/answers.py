"""Seed 000's classification prompt and the parsing of what a model answers to it.

Models are asked for JSON only and often do not comply: the answer may be fenced in Markdown,
wrapped in prose, or not JSON at all. :func:`parse_classification` tries the whole text as
JSON, then every ``{...}`` block in it (the first that parses as an object wins), and gives
None when nothing does, so that the caller can try another provider or engine. A category
outside the eight keys becomes ``other``; a missing or unreadable confidence is 0.5 (the
seed's default) and is clamped to 0..1. The answer is a :class:`~argus.categories.CategoryAnswer`
without engine or model (the chain adds them).
"""

from __future__ import annotations

import json
import re
from typing import Any

from argus.categories import CATEGORIES, CategoryAnswer

DEFAULT_PROMPT = """请对这张图片进行分类。你必须从以下8个类别中选择一个：

1. social_activities - 社交活动（聚会、合影、多人互动场景）
2. pets - 宠物萌照（猫、狗等宠物照片）
3. single_person - 单人照片（个人照、自拍、肖像）
4. foods - 美食记录（食物、餐饮、烹饪相关）
5. travel_scenery - 旅行风景（旅游景点、自然风光、城市风景）
6. screenshot - 手机截图（手机屏幕截图、应用界面）
7. idcard - 证件照（身份证、护照、驾照等证件）
8. other - 其它（无法归类到上述类别）

请以JSON格式返回结果：
{
    "category": "类别key（必须是上述8个之一）",
    "confidence": 0.95,
    "description": "简短描述图片内容（可选，中文，30字以内）"
}

只返回JSON，不要有其他文字。"""
"""Seed 000's prompt (``CLASSIFICATION_PROMPT`` overrides it)."""

_BLOCK = re.compile(r"\{[^{}]*\}", re.DOTALL)


def parse_classification(text: str) -> CategoryAnswer | None:
    """The classification in a model's answer, or None when it holds no JSON object."""
    obj = _first_object(text)
    if obj is None:
        return None
    raw = str(obj.get("category", "")).strip().lower()
    category = raw if raw in CATEGORIES else "other"
    try:
        confidence = float(obj.get("confidence", 0.5))
    except (TypeError, ValueError):
        confidence = 0.5
    if confidence != confidence:  # NaN
        confidence = 0.5
    description = obj.get("description")
    return CategoryAnswer(
        category=category,
        confidence=min(max(confidence, 0.0), 1.0),
        description=str(description) if description not in (None, "") else None,
    )


def _first_object(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    candidates = [stripped, *(m.group(0) for m in _BLOCK.finditer(stripped))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
