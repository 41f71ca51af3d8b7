// Strings of the record pages (forms, lists, 我的待办, templates, project home), zh-CN and en.
// They load with those pages, not on the first screen; i18n.js merges them into its tables.

import { addStrings } from './i18n.js';

addStrings({
  'rec.new': '新建{name}', 'rec.edit': '编辑{name}', 'rec.type': '记录类型', 'rec.records': '记录',
  'rec.addItem': '添加{label}', 'rec.remove': '移除', 'rec.removeLabel': '移除{label}第 {n} 项',
  'rec.item': '{label} 第 {n} 项', 'rec.choose': '请选择', 'rec.required': '必填',
  'rec.people': '输入姓名、拼音或登录名', 'rec.peopleList': '候选人', 'rec.badDate': '日期不完整或格式不对',
  'rec.fix': '有 {n} 处需要修改，请看字段旁的提示', 'rec.reload': '重新加载', 'rec.noTypes': '没有可以新建的记录类型',
  'rec.any': '不限', 'rec.sortBy': '按{label}', 'rec.asc': '升序', 'rec.desc': '降序', 'rec.count': '共 {n} 条',
  'rec.none': '还没有这类记录。', 'rec.clear': '清除筛选', 'rec.updated': '更新时间', 'rec.author': '填写人',
  'rec.submit': '提交{name}', 'rec.filters': '筛选', 'rec.field': '字段', 'rec.before': '修改前', 'rec.after': '修改后',
  'field.record_type': '记录类型', 'field.template_id': '模板', 'field.done': '完成状态',
  'todo.open': '未完成', 'todo.done': '已完成', 'todo.all': '全部', 'todo.overdue': '已逾期', 'todo.due': '{d} 截止',
  'todo.none': '没有待办事项。', 'todo.noneDone': '还没有完成的事项。', 'todo.from': '来自',
  'todo.saved': '已标为完成，已保存为新版本', 'todo.reopened': '已重新打开，已保存为新版本', 'todo.more': '全部待办',
  'tpl.title': '从模板开始', 'tpl.space': '本空间', 'tpl.builtin': '内置', 'tpl.record': '表单',
  'tpl.replace': '用模板“{name}”替换正在编辑的内容？', 'tpl.use': '使用模板', 'tpl.applied': '已套用模板“{name}”',
  'proj.members': '成员', 'proj.openItems': '未完成的待办（按负责人）', 'proj.progress': '项目进度',
  'proj.chart': '任务状态', 'proj.avg': '平均完成度', 'proj.tasks': '{n} 项任务', 'proj.minutes': '最近的会议纪要',
  'proj.requirements': '最近的需求', 'proj.noItems': '没有未完成的待办。', 'proj.noTracker': '还没有项目进度跟踪表。',
  'proj.noneYet': '还没有记录。', 'proj.source': '来自《{title}》', 'proj.chartLabel': '任务状态：{parts}；平均完成度 {avg}%',
}, {
  'rec.new': 'New {name}', 'rec.edit': 'Edit {name}', 'rec.type': 'Record type', 'rec.records': 'Records',
  'rec.addItem': 'Add to {label}', 'rec.remove': 'Remove', 'rec.removeLabel': 'Remove {label} item {n}',
  'rec.item': '{label} #{n}', 'rec.choose': 'Choose…', 'rec.required': 'required',
  'rec.people': 'Name, pinyin or login', 'rec.peopleList': 'Matching people', 'rec.badDate': 'Incomplete or invalid date',
  'rec.fix': '{n} fields need fixing: see the notes beside them', 'rec.reload': 'Reload', 'rec.noTypes': 'No record types you may create',
  'rec.any': 'Any', 'rec.sortBy': 'By {label}', 'rec.asc': 'Ascending', 'rec.desc': 'Descending', 'rec.count': '{n} records',
  'rec.none': 'No records of this type yet.', 'rec.clear': 'Clear filters', 'rec.updated': 'Updated', 'rec.author': 'Author',
  'rec.submit': 'Submit {name}', 'rec.filters': 'Filters', 'rec.field': 'Field', 'rec.before': 'Before', 'rec.after': 'After',
  'field.record_type': 'Record type', 'field.template_id': 'Template', 'field.done': 'Done',
  'todo.open': 'Open', 'todo.done': 'Done', 'todo.all': 'All', 'todo.overdue': 'Overdue', 'todo.due': 'Due {d}',
  'todo.none': 'Nothing to do.', 'todo.noneDone': 'Nothing done yet.', 'todo.from': 'From',
  'todo.saved': 'Marked done: saved as a new version', 'todo.reopened': 'Reopened: saved as a new version', 'todo.more': 'All to-dos',
  'tpl.title': 'Start from a template', 'tpl.space': 'This space', 'tpl.builtin': 'Built-in', 'tpl.record': 'Form',
  'tpl.replace': 'Replace what you are editing with the template “{name}”?', 'tpl.use': 'Use template', 'tpl.applied': 'Template “{name}” applied',
  'proj.members': 'Members', 'proj.openItems': 'Open action items by owner', 'proj.progress': 'Progress',
  'proj.chart': 'Tasks by status', 'proj.avg': 'Average complete', 'proj.tasks': '{n} tasks', 'proj.minutes': 'Recent meeting minutes',
  'proj.requirements': 'Recent requirements', 'proj.noItems': 'No open action items.', 'proj.noTracker': 'No progress tracker yet.',
  'proj.noneYet': 'None yet.', 'proj.source': 'From “{title}”', 'proj.chartLabel': 'Tasks by status: {parts}; average {avg}% complete',
});
