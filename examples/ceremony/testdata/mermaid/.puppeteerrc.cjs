// Puppeteer must not download a browser: the diagram tests use Debian's
// chromium (scripts/install-deps.sh installs it).
module.exports = { skipDownload: true };
