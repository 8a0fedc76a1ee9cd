"""The intent parser: grammar data, matcher, slot resolvers, Parser / ParseResult."""
