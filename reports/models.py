"""Monthly recaps and quarterly evaluations live here (issue: recaps); nothing yet."""
