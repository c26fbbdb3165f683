const en = {};
const zhCN: typeof en = {};
export const activityLocales = { en, 'zh-CN': zhCN };
