// Strings of attachments (document page, editor, search hits) and of the upload page, zh-CN and en.
// They load with those modules, not on the first screen; i18n.js merges them into its tables.

import { addStrings } from './i18n.js';

addStrings({
  'att.title': '附件', 'att.add': '添加附件', 'att.drop': '把文件拖到这里即可添加附件', 'att.uploading': '正在上传 {n} 个文件…',
  'att.added': '已添加 {n} 个附件', 'att.delete': '删除附件', 'att.deleteConfirm': '删除附件「{name}」？文档里指向它的链接将失效。',
  'att.deleted': '已删除附件', 'att.readText': '查看文字', 'att.textCut': '文字较长，只显示前一部分；全文可以搜索。', 'att.by': '{name} 上传', 'att.open': '在新窗口打开', 'att.download': '下载',
  'att.st.pending': '提取中', 'att.st.ok': '已提取', 'att.st.no_text': '无文字', 'att.st.failed': '提取失败：{reason}',
  'att.pages': '{n} 页', 'att.tooBig': '文件太大：每个文件最大 {limit}', 'att.unknown': '未知原因',
  'att.saveFirst': '先保存文档，再粘贴图片或添加附件', 'att.inserted': '已上传并插入：{name}',
  'att.hit': '附件：{name}', 'att.hitPage': '附件：{name} 第 {page} 页', 'att.file': '文件',
  'upload.title': '上传文档', 'upload.lead': '选择或拖入多个 Markdown、文本或 Word（.docx）文件，每个文件会成为一篇文档。标题取文件开头元数据（front matter）里的 title，其次是第一个“# ”标题，没有则用文件名；Word 里的图片会成为文档的附件。',
  'upload.drop': '把文件拖到这里，或', 'upload.pick': '选择文件', 'upload.start': '开始上传', 'upload.done': '已上传 {n} 篇文档',
  'upload.queued': '等待中', 'upload.uploading': '上传中…', 'upload.ok': '完成', 'upload.failed': '失败：{msg}',
  'upload.badType': '只支持 .md / .markdown / .txt / .docx 文件', 'upload.clear': '清空列表',
}, {
  'att.title': 'Attachments', 'att.add': 'Attach files', 'att.drop': 'Drop files here to attach them', 'att.uploading': 'Uploading {n} files…',
  'att.added': '{n} attachments added', 'att.delete': 'Delete attachment', 'att.deleteConfirm': 'Delete the attachment “{name}”? Links to it in the document will break.',
  'att.deleted': 'Attachment deleted', 'att.readText': 'Read the text', 'att.textCut': 'Only the first part is shown; all of it is searchable.', 'att.by': 'uploaded by {name}', 'att.open': 'Open in a new window', 'att.download': 'Download',
  'att.st.pending': 'Extracting text', 'att.st.ok': 'Text extracted', 'att.st.no_text': 'No text', 'att.st.failed': 'Extraction failed: {reason}',
  'att.pages': '{n} pages', 'att.tooBig': 'File too large: at most {limit} per file', 'att.unknown': 'unknown reason',
  'att.saveFirst': 'Save the document first, then paste images or attach files', 'att.inserted': 'Uploaded and inserted: {name}',
  'att.hit': 'Attachment: {name}', 'att.hitPage': 'Attachment: {name}, page {page}', 'att.file': 'File',
  'upload.title': 'Upload documents', 'upload.lead': 'Pick or drop several Markdown, text or Word (.docx) files; each becomes a document. The title is the front matter’s title, else the first “# ” heading, else the file name; images in Word files become the document’s attachments.',
  'upload.drop': 'Drop files here, or', 'upload.pick': 'choose files', 'upload.start': 'Upload', 'upload.done': '{n} documents uploaded',
  'upload.queued': 'Queued', 'upload.uploading': 'Uploading…', 'upload.ok': 'Done', 'upload.failed': 'Failed: {msg}',
  'upload.badType': 'Only .md / .markdown / .txt / .docx files', 'upload.clear': 'Clear list',
});
