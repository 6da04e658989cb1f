"""Forms of the bids app; each validates and hands cleaned data to a service."""
