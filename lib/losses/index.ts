// Public API of lib/losses (barrel). Each module owner adds its exports here.
