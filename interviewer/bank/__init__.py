"""The question bank: validated questions joined to their rubrics."""

from interviewer.bank.models import (
    BankQuestion,
    Concept,
    Level,
    Misconception,
    Question,
    Rubric,
)
from interviewer.bank.loader import Bank, load_bank, load_default_bank

__all__ = [
    "Bank",
    "BankQuestion",
    "Concept",
    "Level",
    "Misconception",
    "Question",
    "Rubric",
    "load_bank",
    "load_default_bank",
]
