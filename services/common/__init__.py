"""What every service shares: configuration, database, Redis, queue, errors, i18n."""
