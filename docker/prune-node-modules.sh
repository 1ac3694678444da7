#!/bin/sh
# Removes from a production node_modules what Node never loads at run time. Each line says why.
set -eu
modules=$1
# better-sqlite3 compiled from source: the addon is build/Release/better_sqlite3.node; the SQLite
# amalgamation, the C++ sources and the object files are only for compiling.
sqlite="$modules/better-sqlite3"
if [ -d "$sqlite/build/Release" ]; then
  find "$sqlite/build/Release" -mindepth 1 -maxdepth 1 ! -name 'better_sqlite3.node' -exec rm -rf {} +
  rm -rf "$sqlite/deps" "$sqlite/src" "$sqlite/build/deps" "$sqlite/build/"*.mk "$sqlite/build/Makefile" "$sqlite/build/config.gypi"
fi
# React Native polyfills that Credo's dependencies list but never load on Node.
rm -rf "$modules/react-native-securerandom" "$modules/expo-random" "$modules/react-native"
# Type declarations, source maps, docs and tests are not code that runs.
rm -rf "$modules/@types" "$modules/typescript"
find "$modules" \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \
  -o -name 'CHANGELOG*' -o -name '*.ts.map' \) -type f -delete
find "$modules" -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name example -o -name examples \) \
  -prune -exec rm -rf {} +
