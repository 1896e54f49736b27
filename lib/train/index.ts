// Public API of lib/train (barrel). Each module owner adds its exports here.
