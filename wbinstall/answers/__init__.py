"""The answers: model, loading with line-accurate problems, secret references."""

from wbinstall.answers.loader import LoadedAnswers, Secrets, load, parse, resolve_secrets
from wbinstall.answers.model import API_VERSION, Answers
from wbinstall.answers.problems import AnswersError, Problem
from wbinstall.answers.secrets import SecretRef

__all__ = [
    "API_VERSION", "Answers", "AnswersError", "LoadedAnswers", "Problem", "SecretRef", "Secrets",
    "load", "parse", "resolve_secrets",
]
