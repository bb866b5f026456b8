set -eu
# User customization: the custom-files input is copied onto / with its modes.
cp -a {{.CustomFilesDir}}/. /
