"""An in-memory search engine for argilla-server 2.x, registered as ``memory``.

argilla-server keeps records in its SQL database and asks a search engine
(Elasticsearch or OpenSearch) to list, filter, sort and count them for the UI.
Neither server can be installed from the package registries here, so this
module implements the same ``SearchEngine`` contract over Python dicts, with
the semantics of argilla's own Elasticsearch mapping (``search_engine/commons.py``):
documents hold fields, metadata, suggestions and responses; filters and sorts
use the same scopes. The index lives in the server process; ``argilla_server.py``
rebuilds it from the database at start, so a restart loses nothing.

Runs inside ``.venv-argilla`` only (it imports ``argilla_server``).
"""

from __future__ import annotations

import math
import random
import re
from typing import Any
from uuid import UUID

from argilla_server.enums import MetadataPropertyType, SimilarityOrder, SortOrder
from argilla_server.models import Dataset, MetadataProperty, Record, Response, Suggestion, User
from argilla_server.search_engine.base import (
    AndFilter,
    FloatMetadataMetrics,
    IntegerMetadataMetrics,
    MetadataFilterScope,
    RangeFilter,
    RecordFilterScope,
    ResponseFilterScope,
    SearchEngine,
    SearchResponseItem,
    SearchResponses,
    SuggestionFilterScope,
    TermsFilter,
    TermsMetrics,
    TextQuery,
)

# dataset id -> record id -> document; shared by every engine instance (one per request).
_INDEXES: dict[UUID, dict[UUID, dict[str, Any]]] = {}
_WORD = re.compile(r"\w+")


def _plain(value: Any) -> Any:
    """Enum members become their string value, so filters compare plain strings."""
    return getattr(value, "value", value)


def _response_doc(response: Response) -> dict[str, Any]:
    values = {question: (answer or {}).get("value") for question, answer in (response.values or {}).items()}
    return {"id": response.id, "status": _plain(response.status), "user_id": response.user_id, "values": values}


def _suggestion_doc(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "type": _plain(suggestion.type),
        "agent": suggestion.agent,
        "score": suggestion.score,
        "value": suggestion.value,
    }


def _record_doc(record: Record) -> dict[str, Any]:
    dataset = record.dataset
    text_fields = {
        field.name: str(record.fields.get(field.name))
        for field in dataset.fields
        if not field.is_image and record.fields.get(field.name) is not None
    }
    metadata_names = {prop.name for prop in dataset.metadata_properties}
    return {
        "id": record.id,
        "external_id": record.external_id,
        "status": _plain(record.status),
        "inserted_at": record.inserted_at,
        "updated_at": record.updated_at,
        "fields": text_fields,
        "metadata": {k: v for k, v in (record.metadata_ or {}).items() if k in metadata_names and v is not None},
        "responses": [_response_doc(r) for r in record.responses],
        "suggestions": {s.question.name: _suggestion_doc(s) for s in record.suggestions},
        "vectors": {str(v.vector_settings_id): v.value for v in record.vectors},
    }


def _matches_value(value: Any, condition: TermsFilter | RangeFilter) -> bool:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if item is None:
            continue
        if isinstance(condition, TermsFilter):
            if str(_plain(item)) in {str(v) for v in condition.values}:
                return True
        elif (condition.ge is None or item >= condition.ge) and (condition.le is None or item <= condition.le):
            return True
    return False


def _user_responses(doc: dict[str, Any], user: User | None) -> list[dict[str, Any]]:
    return [r for r in doc["responses"] if user is None or r["user_id"] == user.id]


def _scope_values(doc: dict[str, Any], scope: Any) -> list[Any]:
    if isinstance(scope, MetadataFilterScope):
        return [doc["metadata"].get(scope.metadata_property)]
    if isinstance(scope, SuggestionFilterScope):
        return [doc["suggestions"].get(scope.question, {}).get(scope.property)]
    if isinstance(scope, RecordFilterScope):
        return [doc.get(scope.property)]
    if isinstance(scope, ResponseFilterScope):
        responses = _user_responses(doc, scope.user)
        if scope.question:
            return [r["values"].get(scope.question) for r in responses]
        return [r.get(scope.property) for r in responses]
    raise ValueError(f"Cannot process search scope {scope}")


def _matches(doc: dict[str, Any], condition: Any) -> bool:
    if isinstance(condition, AndFilter):
        return all(_matches(doc, part) for part in condition.filters)
    scope = condition.scope
    if isinstance(scope, ResponseFilterScope) and scope.property == "status" and isinstance(condition, TermsFilter):
        # "pending" for a user means: that user has not responded (as argilla's ES query does).
        if "pending" in condition.values and not _user_responses(doc, scope.user):
            return True
    return any(_matches_value(value, condition) for value in _scope_values(doc, scope))


def _matches_text(doc: dict[str, Any], query: TextQuery | str | None) -> bool:
    if query is None:
        return True
    query = TextQuery(q=query) if isinstance(query, str) else query
    texts = [doc["fields"].get(query.field, "")] if query.field else list(doc["fields"].values())
    words = set(_WORD.findall(" ".join(texts).lower()))
    # simple_query_string with default_operator AND: every query word must occur.
    return all(word in words for word in _WORD.findall(query.q.lower()))


def _sort_key(doc: dict[str, Any], scope: Any) -> Any:
    values = [v for v in _scope_values(doc, scope) if isinstance(v, (int, float, str))]
    if not values:
        return None
    if all(isinstance(v, (int, float)) for v in values):
        return sum(values) / len(values)  # ES sorts nested values with mode "avg"
    return str(values[0])


class MemorySearchEngine(SearchEngine):
    """argilla-server's SearchEngine over an in-process dict: no external server."""

    @classmethod
    async def new_instance(cls) -> MemorySearchEngine:
        return cls()

    async def close(self) -> None:
        pass

    async def ping(self) -> bool:
        return True

    async def info(self) -> dict:
        return {"engine": "memory", "indexes": len(_INDEXES)}

    async def create_index(self, dataset: Dataset) -> None:
        _INDEXES.setdefault(dataset.id, {})

    async def delete_index(self, dataset: Dataset) -> None:
        _INDEXES.pop(dataset.id, None)

    async def configure_metadata_property(self, dataset: Dataset, metadata_property: MetadataProperty) -> None:
        pass

    async def index_records(self, dataset: Dataset, records: Any) -> None:
        index = _INDEXES.setdefault(dataset.id, {})
        for record in records:
            index[record.id] = _record_doc(record)

    async def partial_record_update(self, record: Record, **update: Any) -> None:
        doc = _INDEXES.get(record.dataset_id, {}).get(record.id)
        if doc is not None:
            doc.update({key: _plain(value) for key, value in update.items()})

    async def delete_records(self, dataset: Dataset, records: Any) -> None:
        index = _INDEXES.get(dataset.id, {})
        for record in records:
            index.pop(record.id, None)

    def _doc_for(self, record_id: UUID, dataset_id: UUID) -> dict[str, Any] | None:
        return _INDEXES.get(dataset_id, {}).get(record_id)

    async def update_record_response(self, response: Response) -> None:
        doc = self._doc_for(response.record_id, response.record.dataset_id)
        if doc is not None:
            doc["responses"] = [r for r in doc["responses"] if r["id"] != response.id] + [_response_doc(response)]

    async def delete_record_response(self, response: Response) -> None:
        doc = self._doc_for(response.record_id, response.record.dataset_id)
        if doc is not None:
            doc["responses"] = [r for r in doc["responses"] if r["id"] != response.id]

    async def update_record_suggestion(self, suggestion: Suggestion) -> None:
        doc = self._doc_for(suggestion.record_id, suggestion.record.dataset_id)
        if doc is not None:
            doc["suggestions"][suggestion.question.name] = _suggestion_doc(suggestion)

    async def delete_record_suggestion(self, suggestion: Suggestion) -> None:
        doc = self._doc_for(suggestion.record_id, suggestion.record.dataset_id)
        if doc is not None:
            doc["suggestions"].pop(suggestion.question.name, None)

    async def get_dataset_progress(self, dataset: Dataset) -> dict:
        if dataset.is_draft:
            return {}
        docs = list(_INDEXES.get(dataset.id, {}).values())
        counts: dict[str, int] = {}
        for doc in docs:
            counts[doc["status"]] = counts.get(doc["status"], 0) + 1
        return {"total": len(docs), **counts}

    async def get_dataset_user_progress(self, dataset: Dataset, user: User) -> dict:
        if dataset.is_draft:
            return {}
        counts: dict[str, int] = {}
        for doc in _INDEXES.get(dataset.id, {}).values():
            for response in _user_responses(doc, user):
                counts[response["status"]] = counts.get(response["status"], 0) + 1
        return {"total": sum(counts.values()), **counts}

    def _select(self, dataset: Dataset, query: Any, filter: Any) -> list[dict[str, Any]]:
        docs = _INDEXES.get(dataset.id, {}).values()
        return [d for d in docs if _matches_text(d, query) and (filter is None or _matches(d, filter))]

    async def search(
        self,
        dataset: Dataset,
        query: TextQuery | str | None = None,
        filter: Any = None,
        sort: list | None = None,
        offset: int = 0,
        limit: int = 100,
        user_id: UUID | None = None,
    ) -> SearchResponses:
        docs = sorted(self._select(dataset, query, filter), key=lambda d: d["inserted_at"])
        if user_id is not None and not sort:
            # argilla shuffles per user with a seeded random score; keep it deterministic per user.
            random.Random(str(user_id)).shuffle(docs)
        for order in reversed(sort or []):
            with_key = [d for d in docs if _sort_key(d, order.scope) is not None]
            without_key = [d for d in docs if _sort_key(d, order.scope) is None]
            with_key.sort(key=lambda d: _sort_key(d, order.scope), reverse=order.order == SortOrder.desc)
            docs = with_key + without_key  # missing values last, as in Elasticsearch
        page = docs[offset : offset + limit]
        return SearchResponses(items=[SearchResponseItem(record_id=d["id"], score=1.0) for d in page], total=len(docs))

    async def compute_metrics_for(self, metadata_property: MetadataProperty) -> Any:
        docs = _INDEXES.get(metadata_property.dataset_id, {}).values()
        values = [d["metadata"][metadata_property.name] for d in docs if metadata_property.name in d["metadata"]]
        if metadata_property.type == MetadataPropertyType.terms:
            counts: dict[str, int] = {}
            for value in values:
                for term in value if isinstance(value, list) else [value]:
                    counts[str(term)] = counts.get(str(term), 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return TermsMetrics(total=len(values), values=[TermsMetrics.TermCount(term=t, count=c) for t, c in ranked])
        metrics_class = (
            IntegerMetadataMetrics if metadata_property.type == MetadataPropertyType.integer else FloatMetadataMetrics
        )
        return metrics_class(min=min(values, default=None), max=max(values, default=None))

    async def similarity_search(
        self,
        dataset: Dataset,
        vector_settings: Any,
        value: list[float] | None = None,
        record: Record | None = None,
        query: Any = None,
        filter: Any = None,
        max_results: int = 100,
        order: SimilarityOrder = SimilarityOrder.most_similar,
        threshold: float | None = None,
    ) -> SearchResponses:
        if bool(value) == bool(record):
            raise ValueError("Must provide either vector value or record to compute the similarity search")
        target = value or record.vector_value_by_vector_settings(vector_settings)
        key = str(vector_settings.id)
        scored = []
        for doc in self._select(dataset, query, filter):
            vector = doc["vectors"].get(key)
            if vector is None or (record is not None and doc["id"] == record.id):
                continue
            norm = math.sqrt(sum(a * a for a in vector)) * math.sqrt(sum(b * b for b in target)) or 1.0
            score = sum(a * b for a, b in zip(vector, target, strict=False)) / norm
            scored.append((-score if order == SimilarityOrder.least_similar else score, doc["id"]))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        kept = [(s, i) for s, i in scored if threshold is None or s >= threshold][:max_results]
        return SearchResponses(items=[SearchResponseItem(record_id=i, score=s) for s, i in kept], total=len(kept))


SearchEngine.register(engine_name="memory")(MemorySearchEngine)
