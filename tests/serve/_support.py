"""Constants shared by the service tests."""

PASSWORD = "correct horse battery staple 42"
