"""URLs of the bids app, one list per audience, mounted by ``fundtracker.urls``."""

from bids.views.portal import documents, drafting, following

portal_patterns = [*drafting.urlpatterns, *documents.urlpatterns, *following.urlpatterns]
