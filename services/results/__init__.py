"""The results service: results that job seekers own, their shares and their credentials."""
