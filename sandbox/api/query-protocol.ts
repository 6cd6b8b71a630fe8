// What the awsQuery services on the sandbox's port (STS, ELBv2) share: XML text.

export const escapeXml = (text: string): string =>
  // Control characters are not allowed in XML 1.0 at all; a client echoing garbage must still get parseable XML.
  text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
