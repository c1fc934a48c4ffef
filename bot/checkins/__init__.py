"""Weekly check-ins and what they collect: blockers and confidence (the questions and their
schedule come later; blockers can already be raised and resolved with `/okr`)."""
