const en = {
  label: 'Region',
  loadFailed: 'The region list could not be loaded: {{message}}',
  choose: 'Choose a region',
};
const zhCN: typeof en = {
  label: '地域',
  loadFailed: '无法加载地域列表：{{message}}',
  choose: '请选择地域',
};
export const regionsLocales = { en, 'zh-CN': zhCN };
