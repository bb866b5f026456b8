set -eu
# User customization: the custom-script input, one command per line as in
# Dockerfile RUN instructions; the first failing command fails the build.
sh -e {{.CustomScript}}
