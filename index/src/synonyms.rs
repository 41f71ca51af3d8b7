//! Synonyms and abbreviations.
//!
//! A built-in list of groups of interchangeable words (Chinese workplace and technical speech),
//! merged with admin-edited groups ([`crate::SearchIndex::set_extra_synonyms`]). Matching is on
//! the lower-cased surface word of the query; a word may belong to several groups.

use std::collections::{BTreeSet, HashMap};

/// Built-in synonym groups, one per line, terms separated by `|`. Multi-word terms
/// (`scale out`) are searched as phrases.
const BUILTIN: &str = "\
k8s|kubernetes|kube
扩容|扩缩容|水平扩展|横向扩展|scale out|扩展节点|增加节点
缩容|下线|scale in|减少节点
扩缩容|弹性伸缩|伸缩|autoscaling|auto scaling
主从|主备|复制|replication|同步复制
监听|侦听|listen|listener
数据库|db|database
配置|设置|config|configuration|参数
部署|安装|deploy|deployment|install|搭建
升级|更新|upgrade|update
降级|回退|downgrade|回滚|rollback
备份|backup|快照|snapshot
恢复|还原|restore|recover|recovery
慢查询|慢sql|慢日志|slow query|slow log
内存溢出|oom|out of memory|内存不足|内存泄漏|内存泄露
权限|授权|privilege|permission|grant|访问控制|rbac
报错|错误|异常|error|exception|出错|失败|故障
登录|登陆|login|sign in|signin|登入
登出|注销|退出登录|logout|sign out
删除|移除|remove|delete|drop|清除
集群|cluster
节点|node|实例|instance
容器|docker|container|pod
负载均衡|lb|load balance|load balancing|负载均衡器|nginx
高可用|ha|high availability
故障转移|failover|故障自动转移|自动切换|主备切换|auto failover
监控|监测|monitor|monitoring|告警|报警|alert|prometheus|grafana
日志|log|logging
迁移|migration|migrate|导入导出
索引|index|indexes|indices
事务|transaction|txn
锁|lock|加锁
死锁|deadlock
锁冲突|锁等待|lock conflict|写冲突
注册中心|服务发现|服务注册|service discovery|registry
配置中心|配置管理|config center|动态配置
微服务|microservice|服务治理
网关|gateway|api gateway
认证|鉴权|身份验证|authentication|auth|验证
密码|口令|password|passwd
用户|账号|账户|user|account
角色|role
性能|performance|效率
优化|调优|tuning|optimize|optimization|加速
慢|缓慢|卡顿|延迟高|响应慢
延迟|延时|latency|时延
吞吐|吞吐量|throughput|qps|tps
排查|诊断|定位|troubleshoot|troubleshooting|debug|调试
问题|故障|issue|problem
解决|修复|处理|fix|solve
查询|检索|query|select|搜索|search
写入|插入|insert|导入|write
读取|读|read
修改|更改|变更|alter|modify|change
创建|新建|create|建立
表|数据表|table
分区|partition|分片|shard|sharding
分区表|partitioned table|partition table
主键|primary key|pk
外键|foreign key|fk
唯一索引|unique index|唯一约束|unique key
聚簇索引|clustered index|聚集索引
二级索引|secondary index|非聚簇索引
约束|constraint
视图|view
存储过程|procedure|stored procedure
函数|function|方法
触发器|trigger
字段|列|column|属性
行|记录|row|record
字符集|charset|character set|编码|encoding|collation|排序规则
乱码|编码问题|中文乱码
时区|timezone|time zone
过期|ttl|time to live|失效
加密|encryption|encrypt|tls|ssl
静态加密|encryption at rest|落盘加密|透明加密|tde
证书|certificate|cert
安全|security|安全性
审计|audit|审计日志
热点|hotspot|hot spot|写热点|读热点
统计信息|statistics|stats|analyze
执行计划|explain|query plan|查询计划|执行计划绑定
优化器|optimizer|cbo
提示|hint|hints
垃圾回收|gc|garbage collection
压缩|compaction|compress|compression
存储|storage|存储引擎
列存|列式存储|tiflash|columnar
行存|行式存储|tikv
分布式|distributed
一致性|consistency|强一致
隔离级别|isolation level|isolation
乐观事务|optimistic transaction|乐观锁
悲观事务|pessimistic transaction|悲观锁
连接|connection|connect|链接
连接池|connection pool|pool
超时|timeout|time out
重启|restart|reboot
启动|start|startup|启动失败|boot
停止|stop|shutdown|关闭
端口|port
防火墙|firewall
网络|network|net
带宽|bandwidth
磁盘|硬盘|disk|ssd
内存|memory|ram|mem
cpu|处理器|中央处理器
资源|resource|资源管控|资源隔离
限流|流控|rate limit|流量控制|throttle
熔断|circuit breaker|降级保护
缓存|cache|caching|redis
队列|queue|消息队列|mq|kafka
同步|sync|synchronization|数据同步
异步|async|asynchronous
增量|incremental|cdc|变更数据捕获|ticdc
全量|full|全量数据
导出|export|dump|dumpling
导入|import|load data|lightning
版本|version|release|发版|发布版本
发布|release|publish|上线
发布说明|release notes|更新日志|changelog
兼容|兼容性|compatibility|compatible
命令|command|cmd|指令
命令行|cli|终端|terminal|shell
脚本|script
工具|tool|tools|utility
客户端|client
服务端|服务器|server
接口|api|interface
文档|document|doc|docs|说明书|手册|manual
教程|tutorial|指南|guide|入门|快速开始|quick start|quickstart|getting started
最佳实践|best practice|best practices|经验
示例|例子|样例|example|demo|sample
常见问题|faq|疑难解答|q&a
术语|glossary|名词解释|概念
架构|architecture|体系结构
原理|机制|mechanism|实现原理|底层原理
参数|变量|variable|系统变量|配置项|选项|option
环境变量|env|environment variable
容量|capacity|容量规划
规划|planning|plan
硬件|hardware|服务器配置
操作系统|os|linux|系统
云|cloud|云服务|公有云
私有化|私有部署|本地部署|on-premise|on premise
虚拟机|vm|virtual machine
单机|一台机器|单台机器|一台服务器|单台服务器|单节点|standalone
镜像|image|docker image
编排|orchestration|helm
存储卷|volume|pv|pvc|持久卷|persistent volume
命名空间|namespace|ns
服务|service|svc
副本|replica|replicas|副本数
调度|schedule|scheduling|scheduler|pd
负载|load|workload|压力
压测|压力测试|性能测试|benchmark|基准测试|bench
测试|test|testing
容错|fault tolerance|容灾
灾备|容灾|disaster recovery|dr|跨机房
地域|region|区域
可用区|az|availability zone|机房|数据中心|idc|data center
更换|替换|replace|换掉
续期|续签|renew|renewal
多租户|multi-tenant|tenant|租户
命名|naming|名称
密钥|秘钥|key|secret|token|令牌
组件|component|组件化
插件|plugin|plugins
路由|router|routing|route
状态管理|store|vuex|pinia|state management
响应式|reactive|reactivity|响应性
模板|template|模版
渲染|render|rendering
服务端渲染|ssr|server side rendering|server-side rendering
生命周期|lifecycle|钩子|hook|hooks
事件|event|events|事件处理
属性|prop|props|attribute
传值|传参|传递数据|数据传递|传数据|传递
插槽|slot|slots
依赖注入|provide inject|provide|inject
指令|directive|directives
计算属性|computed|computed property
侦听器|watcher|watch|监听器
双向绑定|v-model|数据绑定|binding
组合式api|composition api|组合式
选项式api|options api|选项式
前端|frontend|front end|web
后端|backend|back end
浏览器|browser
打包|构建|build|bundle|编译|compile
依赖|dependency|dependencies
包|package|npm|依赖包
类型|type|types|typescript|ts
单元测试|unit test|unittest
性能监控|apm|链路追踪|tracing|trace
健康检查|health check|探活|healthcheck|心跳|heartbeat
灰度|灰度发布|金丝雀|canary|canary release
滚动升级|滚动更新|rolling update|rolling upgrade
回收站|回收|recycle
清理|clean|cleanup|gc清理
非root|non-root|普通用户|非特权
root|超级用户|管理员权限|superuser
管理员|admin|administrator|运维
运维|ops|devops|operation
开发|development|dev|开发者|developer
生产环境|production|prod|线上
测试环境|staging|预发
集成|integration|对接|接入
迁移工具|dm|data migration
数据|data
统计|count|计数|统计分析
报表|report|报告
分析|analysis|analytics|olap
在线事务|oltp
全文检索|全文搜索|full text search|fulltext
向量|vector|向量检索|embedding
窗口函数|window function|开窗函数
自增|auto increment|auto_increment|自增id|自增主键
序列|sequence
uuid|全局唯一标识
批量|batch|bulk|批处理
分页|pagination|paging|limit offset
排序|sort|order by|ordering
聚合|aggregate|aggregation|group by
连接查询|join|关联查询|表连接
子查询|subquery|sub query
临时表|temporary table|temp table
大事务|large transaction|事务过大
请求|request|req
响应|response|resp
状态|status|state
进度|progress
告警规则|alert rule|报警规则
通知|notification|notify|提醒
会议纪要|会议记录|纪要|minutes|meeting notes
需求|requirement|需求文档|prd
周报|weekly report|工作周报
月报|monthly report
审批|审核|review|approve|approval
入职|onboarding|新人|新员工
离职|offboarding|离职交接
报销|reimbursement|费用报销
请假|休假|leave|年假
考勤|打卡|attendance
培训|training|学习资料
规范|标准|规则|standard|specification|spec|准则
流程|process|workflow|工作流
模板文件|模板文档|模版文件
";

/// Every term of every built-in group (lower-cased).
pub(crate) fn builtin_words() -> impl Iterator<Item = &'static str> {
    BUILTIN
        .lines()
        .flat_map(|l| l.split('|'))
        .map(str::trim)
        .filter(|w| !w.is_empty())
}

/// The built-in groups (each term trimmed and lower-cased).
pub fn builtin_groups() -> Vec<Vec<String>> {
    BUILTIN
        .lines()
        .map(|l| {
            l.split('|')
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() > 1)
        .collect()
}

/// Lookup table: lower-cased term → all its synonyms (excluding itself).
#[derive(Debug, Default, Clone)]
pub struct SynonymMap {
    map: HashMap<String, BTreeSet<String>>,
    max_words: usize,
}

impl SynonymMap {
    /// Builds the map from groups (terms are trimmed and lower-cased; groups of one are ignored).
    pub fn from_groups<I, G, S>(groups: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut map: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut max_words = 1;
        for group in groups {
            let terms: Vec<String> = group
                .into_iter()
                .map(|s| normalize_term(s.as_ref()))
                .filter(|s| !s.is_empty())
                .collect();
            if terms.len() < 2 {
                continue;
            }
            for t in &terms {
                max_words = max_words.max(t.split(' ').count());
                let entry = map.entry(t.clone()).or_default();
                for other in &terms {
                    if other != t {
                        entry.insert(other.clone());
                    }
                }
            }
        }
        SynonymMap { map, max_words }
    }

    /// Built-in groups plus `extra`.
    pub fn with_extra(extra: &[Vec<String>]) -> Self {
        let mut groups = builtin_groups();
        groups.extend(extra.iter().cloned());
        Self::from_groups(groups)
    }

    /// Synonyms of `term` (lower-cased lookup), excluding the term itself.
    pub fn get(&self, term: &str) -> Option<&BTreeSet<String>> {
        self.map.get(&normalize_term(term))
    }

    /// True if `term` is a known term.
    pub fn contains(&self, term: &str) -> bool {
        self.map.contains_key(&normalize_term(term))
    }

    /// Largest number of space-separated words in a term.
    pub fn max_words(&self) -> usize {
        self.max_words
    }
}

fn normalize_term(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_many_groups() {
        assert!(builtin_groups().len() >= 150, "{}", builtin_groups().len());
    }

    #[test]
    fn lookup_is_symmetric_and_case_insensitive() {
        let m = SynonymMap::with_extra(&[]);
        assert!(m.get("K8S").unwrap().contains("kubernetes"));
        assert!(m.get("kubernetes").unwrap().contains("k8s"));
        assert!(m.get("扩容").unwrap().contains("scale out"));
        assert!(m.get("scale  OUT").unwrap().contains("扩容"));
        assert!(m.max_words() >= 2);
    }

    #[test]
    fn extra_groups_merge() {
        let m = SynonymMap::with_extra(&[vec!["翰林".into(), "Hanlin".into()]]);
        assert!(m.get("hanlin").unwrap().contains("翰林"));
        assert!(m.get("k8s").is_some());
    }
}
