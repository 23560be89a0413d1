"""The Finnish item bank: item model, content files, validation and storage."""
