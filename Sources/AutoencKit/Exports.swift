// The app is built on the core: a program that imports AutoencKit sees the core too.
@_exported import AutoencCore
