"""URLs of the bids app, one list per audience, mounted by ``fundtracker.urls``."""

from bids.views.portal import documents, drafting, following

portal_patterns = [*following.urlpatterns, *drafting.urlpatterns, *documents.urlpatterns]
