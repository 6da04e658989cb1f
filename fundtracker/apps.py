from django.apps import AppConfig


class FundtrackerConfig(AppConfig):
    name = "fundtracker"
    verbose_name = "Fundtracker"
