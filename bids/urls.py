"""URLs of the bids app, one list per audience; ``fundtracker.urls`` mounts each with its namespace."""

from bids.views.portal import documents, drafting, following

portal_patterns = [*following.urlpatterns, *drafting.urlpatterns, *documents.urlpatterns]
