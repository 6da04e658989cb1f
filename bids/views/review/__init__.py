"""Pages of the Home Office analysts and approvers, under ``/review/``."""
