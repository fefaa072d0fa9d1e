"""Infrastructure shared by pages, services and the CLI: settings, database, i18n, Thai dates."""
