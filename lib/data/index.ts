// Public API of lib/data (barrel). Each module owner adds its exports here.
