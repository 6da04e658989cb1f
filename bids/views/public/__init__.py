"""Public pages, downloads and the API: only published results, for anyone, no sign-in."""
