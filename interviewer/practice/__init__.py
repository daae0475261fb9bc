"""Practice: the interview session (`session`) and which questions come next (`scheduling`)."""
