/**
 * Saves content the API returned as a file: a Blob URL clicked through an `<a download>`. Serve
 * mode keeps every API call a POST (no GET route to leak a file), and Chromium treats a blob
 * download as a download, not a navigation, so the page's CSP (`default-src 'none'`) allows it.
 */
export function saveFile(file: { fileName: string; mediaType: string; encoding: 'utf8' | 'base64'; content: string }): void {
  const body = file.encoding === 'base64' ? Uint8Array.from(atob(file.content), (char) => char.charCodeAt(0)) : file.content;
  const url = URL.createObjectURL(new Blob([body], { type: file.mediaType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke after the click has been handled; the download keeps its own reference.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
