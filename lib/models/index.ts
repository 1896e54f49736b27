// Public API of lib/models (barrel). Each module owner adds its exports here.
