"""The seven-job graph from the Accelerator's build-system write-up.

method1 feeds method2, method4 and method5; method2 feeds method3; method4
and method5 feed method6; method3 and method6 feed method7. Edit method4 and
only method4, method6 and method7 are built again.
"""


def main(urd):
    job1 = urd.build("method1")
    job2 = urd.build("method2", pred=job1)
    job3 = urd.build("method3", pred=job2)
    job4 = urd.build("method4", pred=job1)
    job5 = urd.build("method5", pred=job1)
    job6 = urd.build("method6", pred1=job4, pred2=job5)
    job7 = urd.build("method7", pred1=job3, pred2=job6)
