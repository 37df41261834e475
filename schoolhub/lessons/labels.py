"""Searching by label: a query that names a topic, subject, grade or audience finds the lessons filed
under it, even when their text never says the name.

A label is named when its words, folded like the query ("Chuyển đổi số" → "chuyen doi so"), appear in
the query one after the other. "tin học lớp 7" names the subject Informatics and grade 7; "học" alone
names nothing (it is only part of several labels). Labels are read in Vietnamese, the language of the
lessons, and in the reader's language; a label with alternatives ("Kỹ năng số / Bình dân học vụ số")
answers to each.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from flask_babel import force_locale, get_locale

from schoolhub.lessons.vocab import labels_in
from schoolhub.textfold import fold

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Named:
    """One label a query names: the packed lesson column it is stored in and its key."""

    column: str  # "topics", "subjects", "grades" or "audiences"
    key: str


_PHRASES: dict[str, list[tuple[tuple[str, ...], Named]]] = {}


def _words_of(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def _phrases_in(language: str) -> list[tuple[tuple[str, ...], Named]]:
    """(words, label) pairs of one language, the longest first, so "khoa học tự nhiên" wins over shorter names."""
    if language not in _PHRASES:
        with force_locale(language):
            labels = labels_in(language)
        found = []
        for column, names in (("topics", labels["TOPICS"]), ("subjects", labels["SUBJECTS"]),
                              ("audiences", labels["AUDIENCES"]), ("grades", labels["GRADE_LABELS"])):
            for key, label in names.items():
                for part in str(label).split("/"):
                    if words := _words_of(part):
                        found.append((words, Named(column, str(key))))
        found.sort(key=lambda pair: -len(pair[0]))
        _PHRASES[language] = found
    return _PHRASES[language]


def named_in(words: list[str], languages: tuple[str, ...] | None = None) -> tuple[list[Named], list[str]]:
    """The labels the (folded) query words name, and the words left over.

    Read left to right, the longest label first at each word; a word that starts no label is kept.
    """
    named, kept = named_and_kept(words, languages)
    return named, [words[index] for index in kept]


def named_and_kept(words: list[str], languages: tuple[str, ...] | None = None) -> tuple[list[Named], list[int]]:
    """named_in, with the places of the words left over (in `words`) instead of the words."""
    if languages is None:
        current = str(get_locale() or "vi")
        languages = ("vi",) if current == "vi" else ("vi", current)
    named, kept = _named_and_kept(tuple(words), languages)
    return list(named), list(kept)


@functools.lru_cache(maxsize=1024)
def _named_and_kept(words: tuple[str, ...], languages: tuple[str, ...]) -> tuple[tuple[Named, ...], tuple[int, ...]]:
    """named_and_kept, worked out once per query and languages: the labels are the code's, fixed while a
    process runs (every search asked it again: a tenth of the ranked search's Python)."""
    phrases = [pair for language in languages for pair in _phrases_in(language)]
    phrases.sort(key=lambda pair: -len(pair[0]))
    # Matched token by token ("pre-school" is two), each token remembering the query word it came from;
    # a word is left over unless every one of its tokens is part of a label.
    tokens = [(token, index) for index, word in enumerate(words) for token in _WORD.findall(word)]
    named: list[Named] = []
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        for label_words, label in phrases:
            if tuple(token for token, _ in tokens[i:i + len(label_words)]) == label_words:
                if label not in named:
                    named.append(label)
                used.update(range(i, i + len(label_words)))
                i += len(label_words)
                break
        else:
            i += 1
    kept = {index for t, (_token, index) in enumerate(tokens) if t not in used}
    return tuple(named), tuple(index for index, word in enumerate(words) if index in kept or not _WORD.search(word))
