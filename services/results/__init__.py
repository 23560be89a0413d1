"""The results service: results job seekers own, what they share and with whom, coaches' views, signed credentials."""
