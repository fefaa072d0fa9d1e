#!/usr/bin/env bash
# Installs what the browser, scale-out and spreadsheet tests need from Debian: Chromium, Thai fonts,
# nginx, and LibreOffice Calc (headless; it opens the exported workbooks and CSV as a person would).
# Playwright cannot download its own browser here; the tests drive /usr/bin/chromium.
# Without root (or apt), it says so and the browser tier is skipped unless REQUIRE_BROWSER=1.
set -u
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "laksaman\|sarabun" || need+=(fonts-thai-tlwg)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v soffice >/dev/null || need+=(libreoffice-calc-nogui)
# the meeting agenda and minutes (DOCX) are rendered through LibreOffice Writer by the tests
[[ -e /usr/lib/libreoffice/share/registry/writer.xcd ]] || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null || need+=(poppler-utils)  # exported PDFs rendered to images by the tests
if [[ ${#need[@]} -eq 0 ]]; then
  echo "test system deps: chromium, Thai fonts, nginx, LibreOffice Calc and Writer present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "test system deps: missing ${need[*]} and cannot apt-get here (not root or no apt): browser tests will be skipped"
  exit 0
fi
echo "test system deps: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
