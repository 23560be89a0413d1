"""The testing service: adaptive test sessions, their API and the job seeker's pages."""
