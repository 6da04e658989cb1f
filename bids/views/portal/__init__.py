"""The PCC office portal (``/portal/``): draft, submit and follow bids, report spend."""
